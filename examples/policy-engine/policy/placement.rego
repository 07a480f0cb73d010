# Customer-jurisdiction placement, answered for Canopy's PlacementPolicy
# spec.policyEngine (POST /v1/data/canopy/placement with
# {"input": {"object", "clusters", "workspace"}}).
#
# Every customer is bound to a jurisdiction (data.customers, see data.json):
# its workloads run only on clusters in that jurisdiction. Within it, objects
# labelled criticality: low may use public cloud clusters; everything else
# runs only on PCI-compliant clusters. An object of an unknown customer gets
# no cluster at all, so it stays unscheduled rather than landing anywhere.
package canopy.placement

# The customer: the object's `customer` label, else its workspace's.
customer := object.get(input.object, ["metadata", "labels", "customer"], object.get(input, ["workspace", "labels", "customer"], ""))

jurisdiction := data.customers[customer].jurisdiction

low_criticality if input.object.metadata.labels.criticality == "low"

# Canopy reads result.clusters: the allowed clusters, each with a weight for
# dividing replicas. Cheaper public cloud capacity gets the larger share of a
# low-criticality workload.
clusters[cluster.metadata.name] := {"weight": weight(cluster)} if {
	some cluster in input.clusters
	in_jurisdiction(cluster)
	eligible(cluster)
}

in_jurisdiction(cluster) if cluster.metadata.labels["canopy.dev/geo"] == jurisdiction

eligible(cluster) if cluster.metadata.labels["compliance/pci"] == "true"

eligible(cluster) if {
	low_criticality
	cluster.metadata.labels["canopy.dev/cloud"] == "true"
}

weight(cluster) := 2 if {
	low_criticality
	cluster.metadata.labels["canopy.dev/cloud"] == "true"
} else := 1

# Why, for the decision log and for `curl`: what was decided and on which grounds.
reasons contains sprintf("customer %q is unknown: no cluster is allowed", [customer]) if not data.customers[customer]

reasons contains sprintf("customer %q is bound to jurisdiction %q", [customer, jurisdiction])

reasons contains "criticality low: public cloud clusters allowed" if low_criticality

reasons contains "not criticality low: PCI-compliant clusters only" if not low_criticality
