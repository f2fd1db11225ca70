"""labctl's core: room model, inventory, SSH, probes, actions. Never imports Textual."""
