// Package image tests vigil's container images.
//
// The tests in image_test.go build the offline image with `make image` and run it; they
// need a Docker engine and take a minute or two, so they sit behind the build tag
// docker:
//
//	go test -tags docker ./test/image/
//
// dockerfile_test.go has no tag: it checks that deploy/Dockerfile (Debian packages,
// for engines that can pull) and deploy/Dockerfile.offline (FROM scratch, what `make
// image` builds) give the image the same runtime settings.
package image
