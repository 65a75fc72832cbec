# The slsx image: `slsx serve` (DynamoDB, DynamoDB Streams, SNS and the
# Lambda API on one port) for CI and testcontainers.
#
# No base image is pulled: build the static binary first, then the image.
#
#   CGO_ENABLED=0 GOOS=linux go build -trimpath -o slsx ./cmd/slsx
#   docker build -t slsx .
#   docker run --rm -p 127.0.0.1:4566:4566 slsx                 # tables and topics kept in /data
#   docker run --rm -p 127.0.0.1:4566:4566 slsx --in-memory     # nothing kept
#   aws dynamodb list-tables --endpoint-url http://127.0.0.1:4566
#
# slsxcontainer.BuildImage does the same from Go, with an in-memory context.
#
# State: by default tables and topics persist in the /data volume (mount a
# named volume or a host directory there to keep them across containers);
# pass --in-memory for a throwaway emulator, the usual choice in tests.
#
# The CA bundle lets handlers and slsx reach real HTTPS endpoints; copy it
# next to the Dockerfile from the build host:
#   cp /etc/ssl/certs/ca-certificates.crt .
FROM scratch
COPY slsx /slsx
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# Inside the container 0.0.0.0 is the only way to be reachable through a
# published port; publish it on 127.0.0.1 on the host (see above).
ENTRYPOINT ["/slsx", "serve", "--host", "0.0.0.0", "--data-dir", "/data"]
VOLUME ["/data"]
EXPOSE 4566
