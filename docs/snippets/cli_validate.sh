cesdk validate examples/*.yaml
# Print the file as it resolves (${ENV} substituted), secrets masked.
cesdk validate --show examples/file-to-file.yaml
