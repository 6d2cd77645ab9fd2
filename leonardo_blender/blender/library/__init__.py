"""What the account holds, managed from inside Blender: credits and costs, model assets, and the
history of generations with thumbnails (apply, re-run, delete)."""
