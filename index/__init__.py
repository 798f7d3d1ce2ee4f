"""Search machinery: takes ids, text, vectors and filter fields; returns (id, score) lists. Knows nothing about
transcripts (never imports archive, flask or web)."""
