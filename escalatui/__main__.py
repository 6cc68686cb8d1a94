from escalatui.cli import main

raise SystemExit(main())
