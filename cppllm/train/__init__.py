"""Training: data loader, optimizers (Muon + AdamW), the training loop and checkpoints."""
