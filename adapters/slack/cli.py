"""`idearoom slack manifest`: the Slack app manifest, a command the Slack plug-in adds to `idearoom`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.config import Settings


async def slack_manifest(settings: Settings, args: argparse.Namespace) -> int:
    """Print the Slack app manifest (JSON, which Slack's YAML tab accepts too)."""
    import bot.features  # noqa: F401  (registers every command)
    from adapters.slack.manifest import build_manifest
    from bot.registry import registry

    if not args.url and not args.socket_mode:
        print("give --url https://<your bot host> (HTTP mode) or --socket-mode", file=sys.stderr)
        return 2
    manifest = build_manifest(
        registry.commands, base_url=args.url, socket_mode=args.socket_mode, locale=settings.locale
    )
    print(json.dumps(manifest, ensure_ascii=False, indent=2))
    return 0


def add_commands(commands: Any) -> None:
    """Add `idearoom slack ...` to the command line (`commands` is argparse's subparsers object)."""
    slack = commands.add_parser("slack", help="Slack app setup").add_subparsers(dest="slack_command", required=True)
    manifest = slack.add_parser("manifest", help="print the app manifest to paste into api.slack.com")
    manifest.add_argument("--url", help="public base URL of the bot (HTTP mode), e.g. https://bot.example.org")
    manifest.add_argument("--socket-mode", action="store_true", help="a manifest for Socket Mode (no request URL)")
    manifest.set_defaults(handler=slack_manifest)
