// One virtual-kubelet node for the bench's side-by-side wire cost: the v1
// library's own high-level setup (nodeutil.NewNode: its NodeController with
// the v1 node lease of 40 s, default status interval, and its PodController
// with the pod, secret, config map and service informers), with a provider
// that accepts every pod and reports it Running, and runs nothing. The API
// server comes from --kubeconfig; the kubelet HTTP port is not served (no TLS
// config), as nothing here asks for logs or exec.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	"github.com/virtual-kubelet/virtual-kubelet/node/nodeutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
)

var errNothingRuns = errors.New("nothing runs on this node")

// pretend keeps the pods it was given and says they run.
type pretend struct {
	mu     sync.Mutex
	pods   map[string]*corev1.Pod
	notify func(*corev1.Pod)
	ip     string
}

func key(namespace, name string) string { return namespace + "/" + name }

func (p *pretend) running(pod *corev1.Pod) *corev1.Pod {
	pod = pod.DeepCopy()
	now := metav1.Now()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.HostIP = p.ip
	pod.Status.PodIP = p.ip
	if pod.Status.StartTime == nil {
		pod.Status.StartTime = &now
	}
	pod.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	pod.Status.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name:    c.Name,
			Image:   c.Image,
			ImageID: "pretend://" + c.Image,
			Ready:   true,
			State:   corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	return pod
}

func (p *pretend) tell(pod *corev1.Pod) {
	if p.notify != nil {
		p.notify(pod)
	}
}

func (p *pretend) CreatePod(_ context.Context, pod *corev1.Pod) error {
	p.mu.Lock()
	running := p.running(pod)
	p.pods[key(pod.Namespace, pod.Name)] = running
	p.mu.Unlock()
	p.tell(running)
	return nil
}

func (p *pretend) UpdatePod(ctx context.Context, pod *corev1.Pod) error {
	return p.CreatePod(ctx, pod)
}

func (p *pretend) DeletePod(_ context.Context, pod *corev1.Pod) error {
	p.mu.Lock()
	k := key(pod.Namespace, pod.Name)
	known, ok := p.pods[k]
	delete(p.pods, k)
	p.mu.Unlock()
	if !ok {
		return errdefs.NotFound("no such pod")
	}
	gone := known.DeepCopy()
	now := metav1.Now()
	gone.Status.Phase = corev1.PodSucceeded
	for i := range gone.Status.ContainerStatuses {
		gone.Status.ContainerStatuses[i].Ready = false
		gone.Status.ContainerStatuses[i].State = corev1.ContainerState{
			Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", FinishedAt: now},
		}
	}
	p.tell(gone)
	return nil
}

func (p *pretend) GetPod(_ context.Context, namespace, name string) (*corev1.Pod, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pod, ok := p.pods[key(namespace, name)]; ok {
		return pod.DeepCopy(), nil
	}
	return nil, errdefs.NotFound("no such pod")
}

func (p *pretend) GetPodStatus(ctx context.Context, namespace, name string) (*corev1.PodStatus, error) {
	pod, err := p.GetPod(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return &pod.Status, nil
}

func (p *pretend) GetPods(context.Context) ([]*corev1.Pod, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pods := make([]*corev1.Pod, 0, len(p.pods))
	for _, pod := range p.pods {
		pods = append(pods, pod.DeepCopy())
	}
	return pods, nil
}

// NotifyPods makes the pod controller take status from us instead of polling.
func (p *pretend) NotifyPods(_ context.Context, notify func(*corev1.Pod)) {
	p.notify = notify
}

func (*pretend) GetContainerLogs(context.Context, string, string, string, api.ContainerLogOpts) (io.ReadCloser, error) {
	return nil, errNothingRuns
}

func (*pretend) RunInContainer(context.Context, string, string, string, []string, api.AttachIO) error {
	return errNothingRuns
}

func (*pretend) AttachToContainer(context.Context, string, string, string, api.AttachIO) error {
	return errNothingRuns
}

func (*pretend) GetStatsSummary(context.Context) (*statsv1alpha1.Summary, error) {
	return nil, errNothingRuns
}

func (*pretend) GetMetricsResource(context.Context) ([]*dto.MetricFamily, error) {
	return nil, errNothingRuns
}

func (*pretend) PortForward(context.Context, string, string, int32, io.ReadWriteCloser) error {
	return errNothingRuns
}

func main() {
	name := flag.String("node-name", "vk-peer-01", "the Node's name")
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the API server")
	ip := flag.String("node-ip", "192.168.0.112", "the InternalIP reported, also as every pod's IP")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	client, err := nodeutil.ClientsetFromEnv(*kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "virtual-kubelet peer:", err)
		os.Exit(1)
	}
	n, err := nodeutil.NewNode(*name, func(cfg nodeutil.ProviderConfig) (nodeutil.Provider, node.NodeProvider, error) {
		cfg.Node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: *ip}}
		cfg.Node.Status.Capacity = corev1.ResourceList{corev1.ResourcePods: resource.MustParse("8")}
		cfg.Node.Status.Allocatable = cfg.Node.Status.Capacity
		return &pretend{pods: map[string]*corev1.Pod{}, ip: *ip}, nil, nil
	}, nodeutil.WithClient(client))
	if err != nil {
		fmt.Fprintln(os.Stderr, "virtual-kubelet peer:", err)
		os.Exit(1)
	}
	go func() {
		if err := n.Run(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "virtual-kubelet peer:", err)
			os.Exit(1)
		}
	}()
	if err := n.WaitReady(ctx, time.Minute); err != nil {
		fmt.Fprintln(os.Stderr, "virtual-kubelet peer: not ready:", err)
		os.Exit(1)
	}
	fmt.Println("virtual-kubelet peer: ready")
	<-n.Done()
	if err := n.Err(); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "virtual-kubelet peer:", err)
		os.Exit(1)
	}
}
