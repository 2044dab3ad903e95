"""Where exports come from: blob access (local folders, S3), manifests and verification."""
