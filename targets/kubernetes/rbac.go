package kubernetes

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// airflowLauncher lets Airflow start the DAGs' task pods in the pipeline's
// namespace, and nothing else: Airflow runs elsewhere, and its service
// accounts (the worker for KubernetesPodOperator, the scheduler for the
// KubernetesExecutor) get a Role here rather than a cluster-wide grant.
func (b *builder) airflowLauncher() {
	const name = "airflow-pod-launcher"
	b.add("Role", name, &rbacv1.Role{
		TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "Role"),
		ObjectMeta: b.meta(name, ""),
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "get", "list", "watch", "patch", "delete"}},
			{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"get", "list", "watch"}},
		},
	})
	var subjects []rbacv1.Subject
	for _, sa := range b.p.Airflow.ServiceAccounts {
		subjects = append(subjects, rbacv1.Subject{Kind: "ServiceAccount", Name: sa, Namespace: b.p.Airflow.Namespace})
	}
	b.add("RoleBinding", name, &rbacv1.RoleBinding{
		TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "RoleBinding"),
		ObjectMeta: b.meta(name, ""),
		Subjects:   subjects,
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
	})
}
