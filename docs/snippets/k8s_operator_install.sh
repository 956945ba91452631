kubectl create namespace cesdk
kubectl -n cesdk create secret generic cesdk-webhook --from-literal=url=https://hooks.example.com/in
kubectl apply -k deploy/        # CRD, RBAC, ConfigMap pipeline, Deployment (namespace cesdk)
kubectl apply -f request.yaml   # a NotificationRequest
kubectl get nreq -A -w          # watch it go Pending -> Sending -> Sent
