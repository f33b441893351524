"""The command line, one module per area; each module's commands join the one root app.

python main.py serve | demo | seed | chat --as PHONE       cli/run.py
python main.py post-session | book | cancel | urgent | ...  cli/shifts.py
python main.py import KIND FILE | export KIND              cli/files.py
python main.py alerts | inbox ... | cost add | report      cli/desk.py
python main.py slack ... | telegram ...                    cli/channels.py
python main.py mentoring ... | groups ...                  cli/peer.py
"""

from __future__ import annotations

import typer

from cli import channels, desk, files, peer, run, shifts

cli = typer.Typer(add_completion=False, no_args_is_help=True, help="The GP pool bot.")
for area in (run, shifts, files, desk, peer, channels):
    cli.add_typer(area.app)
