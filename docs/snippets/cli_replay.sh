# Send the dead letters back through the routes of the pipeline they came from.
cesdk replay deadletter.jsonl --to examples/file-to-file.yaml
# Dead letters that fail again go to another file than the one being read.
cesdk replay deadletter.jsonl --to examples/file-to-file.yaml --dead-letter deadletter-2.jsonl
