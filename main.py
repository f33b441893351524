"""The pool bot's command line: python main.py COMMAND. It only wires: the commands are in
cli/ (one module per area), the pool is put together in wiring.py, and the work is in flows/.

python main.py serve [--host H] [--port P]   webhooks, JSON API, sandbox, timer loop
python main.py demo                          a scripted pool day on the sandbox
python main.py seed                          load the fictional demo pool into POOL_DATABASE
python main.py chat --as PHONE               play a member on the sandbox from the terminal
python main.py post-session ...              post a session and offer it
python main.py --help                        every command
"""

from __future__ import annotations

from cli import cli
from wiring import build_app, build_channels, open_pool, policy_from

__all__ = ["build_app", "build_channels", "cli", "open_pool", "policy_from"]

if __name__ == "__main__":
    cli()
