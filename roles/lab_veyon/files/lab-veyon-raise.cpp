// labctl (lab_veyon): Veyon 4.7's lock screen and message window, shown and kept in front.
//
// Built on the admin host by `labctl mirror` (g++ and Debian 12's Qt 5 headers), served
// from the lab server's mirror, and preloaded into Veyon's worker only: lab_veyon installs
// /usr/bin/veyon-worker as a wrapper that starts Debian's worker with this library.
//
// The lock screen. Veyon 4.7.5's LinuxCoreFunctions::raiseWindow() shows its full-screen
// lock window and then sets Qt::WindowStaysOnTopHint with QWidget::setWindowFlag().
// Changing the flags of a shown window makes Qt re-create it hidden (QWidget::setWindowFlags:
// "You must call show() to make the widget visible again"), so the students never see the
// lock. Upstream Veyon shows the window again after the call from 4.11.1 on; Debian 12
// packages 4.7.5. This library defines QWidget::setWindowFlag as Qt does and, when the
// stay-on-top hint is set on a window that was shown, shows it again as it was.
//
// The message. Veyon 4.7.5 shows the teacher's message box with show() only, so a window
// manager that prevents focus stealing may open it behind the student's windows (upstream
// raises it and keeps it on top from 4.11.1 on). When a QMessageBox is shown, this library
// keeps it on top and raises it, as upstream does.
//
// Nothing else changes: every other call is Qt's own, and LD_PRELOAD is removed from the
// environment at once, so no program the worker starts loads this library.
#include <QCoreApplication>
#include <QEvent>
#include <QMessageBox>
#include <QMetaObject>
#include <QPointer>
#include <QWidget>

#include <cstdlib>

void QWidget::setWindowFlag(Qt::WindowType flag, bool on)
{
	const bool reshow = on && flag == Qt::WindowStaysOnTopHint && isWindow() && isVisible();
	const bool fullScreen = isFullScreen();
	setWindowFlags(on ? (windowFlags() | flag) : (windowFlags() & ~flag));
	if (reshow && !isVisible()) {
		if (fullScreen) {
			showFullScreen();
		} else {
			show();
		}
	}
}

namespace {

// Keeps every message box on top and raises it once it has been shown.
class MessageBoxRaiser : public QObject
{
public:
	bool eventFilter(QObject* object, QEvent* event) override
	{
		auto box = event->type() == QEvent::Show ? qobject_cast<QMessageBox*>(object) : nullptr;
		if (box != nullptr && box->isWindow() && !(box->windowFlags() & Qt::WindowStaysOnTopHint)) {
			QPointer<QMessageBox> shown(box);
			QMetaObject::invokeMethod(box, [shown]() {
				if (shown) {
					shown->setWindowFlag(Qt::WindowStaysOnTopHint, true);  // shown again, above
					shown->raise();
					shown->activateWindow();
				}
			}, Qt::QueuedConnection);
		}
		return false;
	}
};

void installRaiser()
{
	QCoreApplication::instance()->installEventFilter(new MessageBoxRaiser);
}

__attribute__((constructor)) void forgetPreload()
{
	unsetenv("LD_PRELOAD");
}

}  // namespace

Q_COREAPP_STARTUP_FUNCTION(installRaiser)
