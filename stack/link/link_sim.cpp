// STUB: link simulator
