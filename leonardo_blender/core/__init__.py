"""Pure logic shared by the API client and the Blender layer: backoff, jobs, fingerprints. No ``bpy``."""
