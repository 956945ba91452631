pip install "cesdk[amqp]"
# a broker to try it with (Debian/Ubuntu); no plugin needed
apt-get install rabbitmq-server
