"""The composition root: what a process runs on (stores, writer, projections, broker), built from Settings,
and the store layout (which directory is a drill store, where its files are). api/ and scenarios/ import it;
domain/ and projections/ never do."""
