"""The MCP server: Plangate's tools for agents over the Model Context Protocol, at /mcp.

A third front door beside the JSON API (plans/api/) and the reviewer pages (plans/web/): the
same bearer tokens and scopes as the API, the same services, and a tool's JSON is the API's
JSON for the same thing.
"""
