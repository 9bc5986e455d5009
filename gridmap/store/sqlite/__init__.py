"""What only the SQLite store needs: its R*Tree filled in bulk (:mod:`.rtree`), its WAL checkpointed in the
background (:mod:`.wal`), consistent copies out of and into a database in use (:mod:`.backup`)."""
