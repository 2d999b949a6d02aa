"""The add-in's own sheets as models (Funnel, Cleanse, Check, History, Archive), for every adapter."""
