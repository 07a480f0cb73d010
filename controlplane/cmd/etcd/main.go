// Command etcd is the etcd server, built from the pinned go.etcd.io/etcd
// module so the local control plane needs no download beyond Go modules.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
