"""Every sentence a person reads, in Persian. Messages use HTML: user text is escaped first.

Placeholders are filled with `str.format`; numbers arrive already in Persian digits.
"""

# ---------------------------------------------------------------- dates (jdatetime strftime)
DATE_FORMAT = "%-d %B %Y"
DATETIME_FORMAT = "%-d %B %Y، ساعت %H:%M"

# ---------------------------------------------------------------- start-up errors (one line)
SETTING_MISSING = (
    "خطای تنظیمات: {name} تعیین نشده است؛ آن را در محیط یا فایل ‎.env‎ بگذارید "
    "(نمونه: ‎.env.example‎). | Settings error: {name} is missing; set it in the environment "
    "or in .env (see .env.example)."
)
SETTING_INVALID = (
    "خطای تنظیمات: مقدار {name} درست نیست ({reason})؛ آن را در محیط یا ‎.env‎ اصلاح کنید. | "
    "Settings error: {name} is invalid ({reason}); fix it in the environment or in .env."
)
CATALOG_INVALID = (
    "خطای فهرست محله‌ها و دستگاه‌ها: {reason} — فایل را اصلاح کنید. | "
    "Catalog error: {reason} — fix the file."
)

# ---------------------------------------------------------------- main menu (reply keyboard)
# Labels are matched exactly as sent: never normalise them.
MENU_REPORT = "📝 گزارش مشکل"
MENU_MY_REPORTS = "📋 گزارش‌های من"
MENU_SESSIONS = "📅 جلسات"
MENU_SURVEYS = "📊 نظرسنجی‌ها"
MENU_SETTINGS = "⚙️ تنظیمات"
MENU_HELP = "❓ راهنما"
MENU_PLACEHOLDER = "یکی از دکمه‌ها را بزنید"

COMING_SOON = "این بخش به‌زودی راه می‌افتد. 🌱\nفعلاً می‌توانید از بقیهٔ دکمه‌های منو استفاده کنید."

# ---------------------------------------------------------------- onboarding
WELCOME = (
    "سلام {name}، به <b>همیار محله</b> خوش آمدید! 🌷\n\n"
    "این بات از طرف دفاتر تسهیل‌گری محله‌های قم است؛ دفترهایی که کنار شما و دستگاه‌های "
    "اجرایی (شهرداری، بهزیستی، کمیته امداد، نیروی انتظامی و …) برای بهتر شدن محله کار می‌کنند.\n\n"
    "اینجا می‌توانید:\n"
    "• مشکلات محله را گزارش کنید تا به دستگاه مسئول برسد و نتیجه را بشنوید،\n"
    "• در جلسات دفتر محله ثبت‌نام کنید،\n"
    "• در نظرسنجی‌ها شرکت کنید و اطلاعیه‌ها را ببینید."
)
ASK_NEIGHBORHOOD = "ساکن کدام محله هستید؟ 🏘"
NEIGHBORHOOD_CHOSEN = "محلهٔ شما: <b>{neighborhood}</b> ✅"
NEIGHBORHOOD_FROM_LINK = "شما از طریق <b>{office}</b> آمده‌اید. محلهٔ شما: <b>{neighborhood}</b> ✅"
ASK_PHONE = (
    "📱 <b>شمارهٔ تلفن (اختیاری)</b>\n"
    "اگر شماره‌تان را بفرستید، تسهیل‌گر دفتر محله می‌تواند برای پیگیری گزارش‌ها با شما تماس "
    "بگیرد. شماره را فقط تسهیل‌گران دفتر محلهٔ شما می‌بینند، مگر آنکه خودتان برای گزارشی "
    "اجازه دهید دستگاه مربوط هم ببیند. هر وقت بخواهید از «تنظیمات» حذفش می‌کنید.\n\n"
    "دکمهٔ «ارسال شمارهٔ من» را بزنید، یا «فعلاً نه»."
)
BUTTON_SHARE_PHONE = "📱 ارسال شمارهٔ من"
BUTTON_SKIP_PHONE = "فعلاً نه"
PHONE_NOT_YOURS = (
    "این شماره مال خود شما نیست. 🙏\n"
    "فقط شمارهٔ خودتان را با دکمهٔ «ارسال شمارهٔ من» بفرستید، یا «فعلاً نه» را بزنید."
)
PHONE_USE_BUTTON = "لطفاً دکمهٔ «ارسال شمارهٔ من» یا «فعلاً نه» را بزنید. 👇"
NEIGHBORHOOD_USE_BUTTON = "لطفاً محلهٔ خود را از دکمه‌های بالا انتخاب کنید. ☝️"
REGISTERED = "ثبت‌نام شما انجام شد. 🎉\nاز منوی پایین صفحه هر کاری خواستید انتخاب کنید."
PHONE_SAVED = "شمارهٔ شما ثبت شد. ✅"
PHONE_SKIPPED = "باشد؛ هر وقت خواستید از «تنظیمات» شماره را اضافه کنید."
WELCOME_BACK = "خوش برگشتید {name}! 🌷 محلهٔ شما: <b>{neighborhood}</b>"
NEIGHBORHOOD_CHANGED = "محلهٔ شما به <b>{neighborhood}</b> تغییر کرد. ✅"
NOT_REGISTERED = "هنوز ثبت‌نام نکرده‌اید. برای شروع /start را بزنید. 🙂"

# ---------------------------------------------------------------- settings
SETTINGS = "⚙️ <b>تنظیمات</b>\nمحله: <b>{neighborhood}</b>\nشماره تلفن: {phone}"
NO_PHONE = "ثبت نشده"
BUTTON_CHANGE_NEIGHBORHOOD = "🏘 تغییر محله"
BUTTON_ADD_PHONE = "📱 ثبت شماره تلفن"
BUTTON_REMOVE_PHONE = "🗑 حذف شماره تلفن"
BUTTON_BACK = "↩️ بازگشت"
PHONE_REMOVED_SHORT = "شماره حذف شد ✅"
NEIGHBORHOOD_CHANGED_SHORT = "محله تغییر کرد ✅"

# ---------------------------------------------------------------- general
HELP = (
    "❓ <b>راهنمای همیار محله</b>\n\n"
    "📝 <b>گزارش مشکل</b>: مشکلی در محله دیدید؟ گزارش کنید تا به دستگاه مسئول برسد.\n"
    "📋 <b>گزارش‌های من</b>: وضعیت گزارش‌هایتان را ببینید.\n"
    "📅 <b>جلسات</b>: در جلسات دفتر محله ثبت‌نام کنید.\n"
    "📊 <b>نظرسنجی‌ها</b>: نظرتان را دربارهٔ محله بگویید.\n"
    "⚙️ <b>تنظیمات</b>: تغییر محله یا شماره تلفن.\n\n"
    "هر جا خواستید کاری را نیمه‌کاره رها کنید، /cancel را بزنید."
)
CANCELLED = "لغو شد. ✋ هر وقت خواستید دوباره شروع کنید."
CANCELLED_NOT_REGISTERED = "لغو شد. ✋ هر وقت خواستید /start را بزنید."
NOTHING_TO_CANCEL = "کاری در جریان نیست. از منوی پایین انتخاب کنید. 👇"
USE_MENU = "متوجه نشدم. 🙂 لطفاً از دکمه‌های منوی پایین انتخاب کنید، یا /help را بزنید."
BUTTON_EXPIRED = "این دکمه دیگر معتبر نیست. از منوی پایین دوباره شروع کنید. 👇"
BUTTON_INVALID = "این انتخاب معتبر نیست."
ERROR = "ببخشید، مشکلی پیش آمد و کارتان انجام نشد. 🙏 لطفاً چند لحظهٔ دیگر دوباره امتحان کنید."
YOUR_ID = "شناسهٔ شما: <code>{user_id}</code>"
CHAT_ID = "شناسهٔ این گفتگو: <code>{chat_id}</code>"

# ---------------------------------------------------------------- bot command menu
COMMAND_START = "شروع و منوی اصلی"
COMMAND_HELP = "راهنما"
COMMAND_CANCEL = "لغو کار در جریان"
COMMAND_MYID = "نمایش شناسهٔ من"
COMMAND_CHATID = "نمایش شناسهٔ این گفتگو"
COMMAND_GRANT = "دادن نقش به کاربر"
COMMAND_REVOKE = "گرفتن نقش از کاربر"
COMMAND_STAFF = "فهرست کارکنان"

# ---------------------------------------------------------------- staff roles (super-admin)
ROLE_NAMES = {"facilitator": "تسهیل‌گر", "agency": "کارمند دستگاه"}
ADMIN_ONLY = "این فرمان فقط برای مدیران سامانه است."
GRANT_USAGE = (
    "شیوهٔ استفاده:\n"
    "<code>/grant facilitator شناسه کلید_محله</code>\n"
    "<code>/grant agency شناسه کلید_دستگاه</code>\n"
    "محله‌ها: {neighborhoods}\n"
    "دستگاه‌ها: {agencies}"
)
REVOKE_USAGE = "شیوهٔ استفاده: <code>/revoke facilitator|agency شناسه کلید</code>"
GRANTED = "نقش «{role}» برای {scope} به کاربر {user_id} داده شد. ✅"
REVOKED = "نقش «{role}» برای {scope} از کاربر {user_id} گرفته شد. ✅"
NOT_REVOKED = "کاربر {user_id} چنین نقشی نداشت."
STAFF_EMPTY = "هنوز نقشی به کسی داده نشده است."
STAFF_HEADER = "👥 <b>کارکنان</b>"
STAFF_LINE = "• {user_id}: {role} — {scope}"
