cesdk send 'nats://127.0.0.1:4222/k8s.{type}?jetstream=true' \
    --type io.k8s.event.warning --source /k8s/prod --data '{"reason": "BackOff"}'
