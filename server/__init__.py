"""`hindsight serve` and `hindsight mcp`: Hindsight where work happens.

An interface beside `portal/` and `cli/`: the JSON API, the Atom feeds, the Slack command and
the MCP tools, all reading through one `index.opener.Opener` with the caller's viewer.
"""
