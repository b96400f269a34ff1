"""Drives a dbqa MCP server over stdio with the official Python MCP client.

Usage: client.py <server executable> [args...]
Prints one JSON line: the tools listed, the tables, a query result, whether a write
was refused, and the resources.
"""
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def payload(result):
    text = result.content[0].text
    try:
        return json.loads(text)
    except ValueError:
        return text


async def main():
    params = StdioServerParameters(command=sys.argv[1], args=sys.argv[2:])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = [t.name for t in (await session.list_tools()).tools]
            tables = payload(await session.call_tool("list_tables", {}))
            query = payload(await session.call_tool(
                "run_query", {"sql": "SELECT COUNT(*) AS n FROM customers"}))
            write = await session.call_tool("run_query", {"sql": "DROP TABLE customers"})
            resources = [str(r.uri) for r in (await session.list_resources()).resources]
            schema = await session.read_resource("dbqa://schema")
            print(json.dumps({
                "tools": tools,
                "tables": tables,
                "query": query,
                "write_refused": bool(getattr(write, "is_error", None) or getattr(write, "isError", None)),
                "resources": resources,
                "schema_bytes": len(schema.contents[0].text),
            }))


asyncio.run(main())
