from specialops.app_entry import main

main()
