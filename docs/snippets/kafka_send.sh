cesdk send kafka://localhost:9092/k8s-events \
  --type io.k8s.event.warning --source /k8s/prod \
  --data '{"reason": "BackOff"}' --extension partitionkey=pod-1 --count 10
