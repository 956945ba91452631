# AMQP 1.0 mode: python-qpid-proton, compiled from source (needs gcc and Python headers)
apt-get install gcc python3-dev
pip install "cesdk-amqp[amqp10]"
# RabbitMQ 3.x: enable the AMQP 1.0 plugin (it listens on the 0-9-1 port)
rabbitmq-plugins enable rabbitmq_amqp1_0
