"""`python -m kexie_xl` → the command line."""

from kexie_xl.cli import main

if __name__ == "__main__":
    main()
