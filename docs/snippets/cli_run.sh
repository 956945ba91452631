# Run a pipeline until its source ends, or until SIGTERM / Ctrl-C.
cesdk run examples/generator-to-console.yaml
# ${ENV} references in the file read the environment.
COUNT=20 cesdk run examples/generator-to-console.yaml
# Serve /metrics, /healthz and /readyz while it runs.
cesdk run examples/file-to-file.yaml --health-port 9090
