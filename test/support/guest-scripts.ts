// The two shell scripts baked into the guest's initramfs (see qemu-initramfs.ts).
//
// /init (busybox ash, PID 1) loads the modules, mounts the host's root read-only over 9p under
// a tmpfs overlay, mounts the writable share, sets up loopback and dummy0, and runs the driver
// inside the chroot. The driver talks to the host over the second serial port (ttyS1):
//
//   guest -> host   ldts-ready <boot.sh status> | ldts-done <job> <status> | ldts-failed <why>
//   host -> guest   run <job> <seconds> | poweroff
//
// A job is <share>/jobs/<job>/job.sh, run by sh in its own folder under `timeout`, with
// stdout, stderr and status written next to it. Processes a job leaves in the background keep
// running for the later jobs. The console (ttyS0) carries only kernel and init messages.

/** Where the writable share is mounted inside the guest. */
export const GUEST_SHARE = '/ldts-share';

/** Addresses the guest has besides loopback: dummy0 carries them (not local to 127/8). */
export const GUEST_DUMMY_IPV4 = '192.0.2.1';
export const GUEST_DUMMY_IPV6 = '2001:db8::1';

export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() {
  echo "ldts-init: FAILED: $*"
  echo "ldts-failed $*" > /dev/ttyS1
  echo o > /proc/sysrq-trigger
  sleep 30
}
stty -F /dev/ttyS1 raw -echo || fail "stty ttyS1"
while read -r m; do
  insmod /modules/$m.ko || fail "insmod $m"
done < /modules/order
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose ldtsroot /lower \\
  || fail "mount host root"
mount -t tmpfs -o mode=0755 rw /rw && mkdir /rw/upper /rw/work || fail "tmpfs"
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot \\
  || fail "overlay"
mkdir -p /newroot${GUEST_SHARE}
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 ldtsshare /newroot${GUEST_SHARE} \\
  || fail "mount share"
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
# The project may live under /tmp (a CI clone): keep the host's view of it (writable through
# the overlay) across the fresh /tmp and /run, at the same path.
keep=
for arg in $(cat /proc/cmdline); do
  case "$arg" in ldts.keep=*) keep="\${arg#ldts.keep=}";; esac
done
if [ -n "$keep" ]; then
  mkdir -p /keep && mount -o bind "/newroot$keep" /keep || fail "keep $keep"
fi
mount -t tmpfs -o mode=1777 tmp /newroot/tmp
mount -t tmpfs -o mode=0755 run /newroot/run
if [ -n "$keep" ]; then
  mkdir -p "/newroot$keep" && mount -o bind /keep "/newroot$keep" || fail "keep $keep"
fi
ip link set lo up
echo 0 > /proc/sys/net/ipv6/conf/dummy0/accept_dad
ip addr add ${GUEST_DUMMY_IPV4}/24 dev dummy0
ip -6 addr add ${GUEST_DUMMY_IPV6}/64 dev dummy0
ip link set dummy0 up
hostname ldts-guest
cp /driver.sh /newroot/run/ldts-driver.sh
chroot /newroot /bin/sh /run/ldts-driver.sh
echo "ldts-init: driver exited, powering off"
echo o > /proc/sysrq-trigger
sleep 30
`;

export const DRIVER_SCRIPT = `export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb LDTS_SHARE=${GUEST_SHARE}
cd /
exec 3<>/dev/ttyS1
# The kernel's own module autoload cannot see the chroot: load IPVS here, softdeps included.
modules=
for m in /lib/modules/$(uname -r)/kernel/net/netfilter/ipvs/*.ko*; do
  m=\${m##*/}
  modules="$modules \${m%%.ko*}"
done
modprobe -a $modules || { echo "ldts-failed modprobe -a$modules" >&3; exit 1; }
status=0
if [ -f ${GUEST_SHARE}/boot.sh ]; then
  sh ${GUEST_SHARE}/boot.sh </dev/null >${GUEST_SHARE}/boot.out 2>&1 3>&-
  status=$?
fi
echo "ldts-ready $status" >&3
while read -r verb job seconds <&3; do
  case "$verb" in
    run)
      dir=${GUEST_SHARE}/jobs/$job
      (cd "$dir" && LDTS_JOB_DIR=$dir exec timeout -k 5 "$seconds" sh ./job.sh) \\
        </dev/null >"$dir/stdout" 2>"$dir/stderr" 3>&-
      echo "ldts-done $job $?" >&3
      ;;
    poweroff)
      break
      ;;
  esac
done
sync
echo o > /proc/sysrq-trigger
`;
