from verifier.cli.main import main

main()
