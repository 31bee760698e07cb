"""`/docs`: the API described on one self-contained page, from the OpenAPI document.

FastAPI's own pages load Swagger UI from a CDN; Hindsight serves offline networks too, so this
page is plain HTML with no script and no outside resource.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.45;color:#1f2328}code,pre{background:#f6f8fa;border-radius:4px}"
    "pre{padding:.6rem;overflow:auto;white-space:pre-wrap}"
    "table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #d0d7de;"
    "padding:.2rem .5rem;text-align:left;vertical-align:top}"
    ".m{font-weight:700;padding:.1rem .4rem;border-radius:4px;background:#ddf4ff}"
    "section{border-top:1px solid #d0d7de;padding-top:.5rem;margin-top:1rem}"
)


def _schema_type(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " | ".join(_schema_type(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_schema_type(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    return str(schema.get("type") or schema.get("$ref", "").rsplit("/", 1)[-1] or "any")


def render(spec: dict[str, Any]) -> str:
    info = spec.get("info", {})
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(info.get('title', 'API'))} API</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(info.get('title', 'API'))} API</h1>",
        f"<p>{escape(info.get('summary', ''))}</p><p>{escape(info.get('description', ''))}</p>",
        "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a>.</p>",
    ]
    schemas = spec.get("components", {}).get("schemas", {})
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            out.append(
                f"<section id='{escape(op.get('operationId', path))}'>"
                f"<h2><span class='m'>{escape(method.upper())}</span> <code>{escape(path)}</code></h2>"
                f"<p><b>{escape(op.get('summary', ''))}</b></p>"
                f"<pre>{escape(op.get('description', '').strip())}</pre>"
            )
            params = op.get("parameters", [])
            if params:
                out.append(
                    "<table><tr><th>parameter</th><th>in</th><th>type</th><th>about</th></tr>"
                )
                for p in params:
                    schema = p.get("schema", {})
                    about = p.get("description") or schema.get("description", "")
                    need = " (required)" if p.get("required") else ""
                    out.append(
                        f"<tr><td><code>{escape(p['name'])}</code>{need}</td><td>{escape(p['in'])}</td>"
                        f"<td>{escape(_schema_type(schema))}</td><td>{escape(about)}</td></tr>"
                    )
                out.append("</table>")
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            if ref in schemas:
                fields = schemas[ref].get("properties", {})
                out.append(
                    "<p>JSON body:</p><table><tr><th>field</th><th>type</th><th>about</th></tr>"
                )
                for name, schema in fields.items():
                    out.append(
                        f"<tr><td><code>{escape(name)}</code></td><td>{escape(_schema_type(schema))}</td>"
                        f"<td>{escape(schema.get('description', ''))}</td></tr>"
                    )
                out.append("</table>")
            out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)
