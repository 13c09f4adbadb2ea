"""narrate studio: one book's script, cast and audio in the browser (a face, like the CLI).

session.py holds the book as the core functions give it (pipeline.load, casting, preview) and applies fixes;
voicesfile.py writes them into voices.yaml with castfile's comment-keeping round trip; api.py is the JSON under
/api/...; app.py the page and the security around every request; server.py runs it with uvicorn."""
