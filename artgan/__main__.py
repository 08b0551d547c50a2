"""``python -m artgan`` (and ``torchrun -m artgan``) runs the command line."""

from artgan.cli import main

if __name__ == "__main__":
    main()
