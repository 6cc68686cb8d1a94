try:
    from escalatui.cli import main

    code = main()
except KeyboardInterrupt:  # Ctrl+C while the command line itself was still loading
    code = 130
raise SystemExit(code)
