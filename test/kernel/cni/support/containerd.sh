#!/usr/bin/env bash
# Debian's containerd (1.6) inside the test sandbox, in a mount namespace of
# its own (started as `unshare --mount --propagation unchanged containerd.sh
# DIR BIN_DIR CONF_DIR`: /run/netns stays shared with the test, so the pod
# namespaces containerd makes there are the test's to open). It execs
# containerd, so the caller's PID is containerd's.
#
# - /etc, /opt and /var/lib get writable overlays whose upper layers are in
#   DIR, so /etc/cni/net.d (CONF_DIR), /opt/cni/bin (BIN_DIR, read-only) and
#   /var/lib/cni (DIR/cni-state) are this run's and the machine's stay as
#   they are (`ctr run --cni` has no flags for those directories).
# - cgroups: the sandbox's fresh sysfs has an empty /sys/fs/cgroup while
#   mountinfo still lists the host's cgroup v1 mounts, so runc's mkdir there
#   fails with ENOENT, which rootless runc does not forgive. An empty
#   read-only tmpfs (with the listed mount points as empty directories, for
#   runc's cpuset code) turns it into EROFS, which it skips when the spec has
#   no cgroupsPath (CRI: disable_cgroup; ctr: --cgroup "").
# - devpts: the sandbox maps only gid 0, so containerd's default spec
#   (devpts gid=5) cannot be mounted: a wrapper drops gid=5 from the bundle's
#   config.json and execs the real runc.
# - restrict_oom_score_adj: a user namespace may not lower oom_score_adj.
set -euo pipefail
dir=$1 bin=$2 conf=$3
for d in /etc /opt /var/lib; do
  n=$(echo "$d" | tr / _)
  mkdir -p "$dir/ovl/$n/up" "$dir/ovl/$n/work"
  mount -t overlay "ovl$n" -o "lowerdir=$d,upperdir=$dir/ovl/$n/up,workdir=$dir/ovl/$n/work" "$d"
done
mkdir -p /etc/cni/net.d /opt/cni/bin /var/lib/cni "$dir/cni-state"
mount --bind "$conf" /etc/cni/net.d
mount --bind -o ro "$bin" /opt/cni/bin
mount --bind "$dir/cni-state" /var/lib/cni

mount -t tmpfs -o mode=0755 netplumb-no-cgroups /sys/fs/cgroup
grep -E ' - cgroup2? ' /proc/self/mountinfo | awk '{print $5}' | while read -r m; do
  case "$m" in /sys/fs/cgroup/*) mkdir -p "$m" ;; esac
done
mount -o remount,ro,bind /sys/fs/cgroup

cat >"$dir/runc-userns" <<'WRAPPER'
#!/bin/sh
prev= bundle=
for a in "$@"; do
  [ "$prev" = --bundle ] && bundle=$a
  case "$a" in --bundle=*) bundle=${a#--bundle=} ;; esac
  prev=$a
done
[ -n "$bundle" ] && [ -f "$bundle/config.json" ] && sed -i 's/,"gid=5"//; s/"gid=5",//' "$bundle/config.json"
exec /usr/sbin/runc "$@"
WRAPPER
chmod +x "$dir/runc-userns"

cat >"$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  disable_cgroup = true
  disable_apparmor = true
  disable_hugetlb_controller = true
  sandbox_image = "localhost/netplumb-pause:1"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/opt/cni/bin"
    conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$dir/runc-userns"
TOML
exec containerd --config "$dir/config.toml"
