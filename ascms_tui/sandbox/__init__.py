"""The training sandbox: a local stand-in for AS-CMS that speaks Salesforce's REST API.

`ascms-tui sandbox` serves it on 127.0.0.1 only; see docs/sandbox.md. Importing
this package is cheap (no web stack), so the command line can describe its options
without loading Starlette and uvicorn.
"""
