# Terminal 1: print every event that arrives (like Knative's event-display).
cesdk listen --port 8080
# Terminal 2: send one event, in binary mode (the default) ...
cesdk send http://127.0.0.1:8080/ --type io.example.ping --source /demo --id 1 --data '{"n": 1}' --extension team=ops
# ... or a hundred, in structured mode, with a progress line.
cesdk send http://127.0.0.1:8080/ --type io.example.ping --source /demo --count 100 --mode structured
# Data from a file; a non-JSON content type sends it as it is.
cesdk send http://127.0.0.1:8080/ --type io.example.doc --source /demo --data @report.txt --datacontenttype text/plain
# Kafka and NATS targets need their adapters: pip install cesdk-kafka / cesdk-nats.
cesdk send kafka://127.0.0.1:9092/events --type io.example.ping --source /demo
cesdk send nats://127.0.0.1:4222/events.ping --type io.example.ping --source /demo
