"""Each capability's SQL in its own module, used through `bot.storage.Storage` (which owns the
connection, its transactions and the migrations). Nothing here imports telegram."""
