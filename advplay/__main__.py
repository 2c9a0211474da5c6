from advplay.cli import main

raise SystemExit(main())
