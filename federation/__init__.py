"""Provinces deployed apart (issue 15): the relay that publishes a province's outbox to the broker and the inbox
that consumes the messages other provinces send it. Entry points like jobs/: thin, the effect is the engine's
(``engine.exchange.apply_incoming``). Selected by configuration: a province code and a broker URL; without them
XueJi is the embedded default, every province in one database and no broker.
"""
