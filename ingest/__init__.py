"""Reading content files: decoding, front matter, Markdown, transcripts, documents and chunks."""
