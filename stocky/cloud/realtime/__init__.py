"""Real time: the Socket.IO gateway, its rooms, events emitted after commit, sede presence."""
