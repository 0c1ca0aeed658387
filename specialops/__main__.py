from specialops.cli.main import run

run()
