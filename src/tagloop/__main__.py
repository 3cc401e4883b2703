from tagloop.cli import main

main()
