"""python -m archive: the command line. This is the composition root: it adds the web layer's `serve`
command to the archive's commands (nothing else in archive/ imports web/)."""
from web.cli import mcp, serve

from .cli import main
from .saved_cli import saved

main.add_command(saved)
main.add_command(serve)
main.add_command(mcp)
main(prog_name="python -m archive")
