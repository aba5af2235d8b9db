"""Every sentence a person reads, in Persian. Messages use HTML: user text is escaped first.

Placeholders are filled with `str.format`; numbers arrive already in Persian digits.
"""

# ---------------------------------------------------------------- dates (jdatetime strftime)
DATE_FORMAT = "%-d %B %Y"
DATETIME_FORMAT = "%-d %B %Y، ساعت %H:%M"

LIST_SEPARATOR = "، "

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
TOKEN_REJECTED = (
    "خطای تنظیمات: سرور بله یا تلگرام توکن BOT_TOKEN را نپذیرفت؛ توکن را از BotFather دوباره "
    "بگیرید و در ‎.env‎ بگذارید. | Settings error: the Bot API rejected BOT_TOKEN (401); get the "
    "token from BotFather again and put it in .env."
)
DATABASE_IN_USE = (
    "خطای راه‌اندازی: بات دیگری (pid {pid}) با همین پایگاه داده ({path}) کار می‌کند؛ اول آن را "
    "متوقف کنید، یا به این یکی DATABASE_PATH دیگری بدهید. | Start-up error: another bot process "
    "(pid {pid}) is running on the database {path}; stop it first, or give this one its own "
    "DATABASE_PATH."
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
OFFER_GONE = "این پیشنهاد دیگر معتبر نیست؛ می‌توانید گزارش خودتان را ثبت کنید."
SLOW_DOWN = (
    "🙏 پیام‌هایتان خیلی پشت سر هم رسید و چند تای آخر خوانده نشد. "
    "لطفاً کمی آهسته‌تر بفرستید؛ چند ثانیهٔ دیگر همه‌چیز عادی می‌شود."
)
ERROR = "ببخشید، مشکلی پیش آمد و کارتان انجام نشد. 🙏 لطفاً چند لحظهٔ دیگر دوباره امتحان کنید."
REMOVED_FROM_AGENCY_CHAT = (
    "⚠️ بات از گروه «{agency}» بیرون گذاشته شد؛ گزارش‌های این دستگاه دیگر به آن گروه نمی‌رسد و "
    "به صف دفتر محله می‌رود. بات را دوباره به گروه اضافه کنید تا گزارش‌های باز دوباره "
    "برای گروه فرستاده شوند."
)
AGENCY_CHAT_BACK = (
    "✅ بات دوباره در گروه «{agency}» است؛ {count} گزارش باز دوباره برای گروه فرستاده شد."
)
YOUR_ID = "شناسهٔ شما: <code>{user_id}</code>"
CHAT_ID = "شناسهٔ این گفتگو: <code>{chat_id}</code>"

# ---------------------------------------------------------------- bot command menu
COMMAND_START = "شروع و منوی اصلی"
COMMAND_HELP = "راهنما"
COMMAND_CANCEL = "لغو کار در جریان"
COMMAND_MYID = "نمایش شناسهٔ من"
COMMAND_CHATID = "نمایش شناسهٔ این گفتگو"
COMMAND_QUEUE = "صف گزارش‌های دفتر محله"
COMMAND_TICKET = "یافتن گزارش با کد پیگیری"
COMMAND_GRANT = "دادن نقش به کاربر"
COMMAND_REVOKE = "گرفتن نقش از کاربر"
COMMAND_STAFF = "فهرست کارکنان"

# ---------------------------------------------------------------- staff roles (super-admin)
ROLE_NAMES = {"facilitator": "تسهیل‌گر", "agency": "کارمند دستگاه", "supervisor": "ناظر فرمانداری"}
SCOPE_PROVINCE = "کل استان"
ADMIN_ONLY = "این فرمان فقط برای مدیران سامانه است."
ADMIN_PRIVATE_ONLY = "این فرمان را در گفتگوی خصوصی با بات بفرستید، نه در گروه."
GRANT_USAGE = (
    "شیوهٔ استفاده:\n"
    "<code>/grant facilitator شناسه کلید_محله</code>\n"
    "<code>/grant agency شناسه کلید_دستگاه</code>\n"
    "<code>/grant supervisor شناسه</code> (ناظر فرمانداری: خواندن صف و گزارش‌های همهٔ محله‌ها)\n"
    "محله‌ها: {neighborhoods}\n"
    "دستگاه‌ها: {agencies}"
)
REVOKE_USAGE = (
    "شیوهٔ استفاده: <code>/revoke facilitator|agency شناسه کلید</code>\n"
    "یا <code>/revoke supervisor شناسه</code>"
)
GRANTED = "نقش «{role}» برای {scope} به کاربر {user_id} داده شد. ✅"
REVOKED = "نقش «{role}» برای {scope} از کاربر {user_id} گرفته شد. ✅"
NOT_REVOKED = "کاربر {user_id} چنین نقشی نداشت."
STAFF_EMPTY = "هنوز نقشی به کسی داده نشده است."
STAFF_HEADER = "👥 <b>کارکنان</b>"
STAFF_LINE = "• {user_id}: {role} — {scope}"

# ================================================================ problem reports (tickets)
STATUS = {
    "review": "⏳ در انتظار بررسی دفتر محله",
    "queued": "📥 در صف دفتر محله",
    "new": "📨 فرستاده شده به دستگاه",
    "acknowledged": "👀 دریافت شد",
    "in_progress": "🔧 در حال رسیدگی",
    "resolved": "✅ رسیدگی شد",
    "reopened": "🔁 دوباره باز شد",
    "closed": "🗂 بسته شد",
    "rejected": "⛔ رد شد",
}
YES = "بله"
NO = "خیر"
BUTTON_SKIP = "رد شدن"
BUTTON_CONTINUE = "ادامه ⬅️"

# ---------------------------------------------------------------- the resident files a report
REPORT_MUTED = (
    "امکان ثبت گزارش برای شما فعلاً بسته است. 🙏\nبرای پیگیری با دفتر تسهیل‌گری محله‌تان تماس بگیرید."
)
REPORT_LIMIT = (
    "امروز {limit} گزارش ثبت کرده‌اید که بیشترین تعداد در یک روز است. 🙏\n"
    "لطفاً فردا دوباره سر بزنید؛ گزارش‌های قبلی‌تان در «📋 گزارش‌های من» هست."
)
ASK_CATEGORY = "📝 <b>گزارش مشکل</b>\nمشکل دربارهٔ چیست؟ یکی را انتخاب کنید:"
CATEGORY_CHOSEN = "📝 دسته: {emoji} <b>{category}</b>"
ASK_DESCRIPTION = (
    "مشکل را در چند جمله بنویسید: کجاست، از کی، چقدر جدی است.\n"
    "🎤 اگر نوشتن برایتان سخت است، یک پیام صوتی (تا ۳ دقیقه) بفرستید."
)
DESCRIPTION_TOO_SHORT = "توضیح خیلی کوتاه است؛ دست‌کم {min} حرف بنویسید، یا پیام صوتی بفرستید."
DESCRIPTION_TOO_LONG = (
    "توضیح خیلی بلند است ({length} حرف)؛ حداکثر {max} حرف می‌شود. لطفاً کوتاه‌ترش کنید."
)
VOICE_TOO_LONG = "پیام صوتی حداکثر ۳ دقیقه باشد. لطفاً کوتاه‌تر ضبط کنید یا بنویسید."
DESCRIPTION_WRONG_TYPE = (
    "این را نمی‌توانم به‌عنوان توضیح بپذیرم. لطفاً مشکل را بنویسید یا پیام صوتی بفرستید. ✍️🎤"
)
PHOTO_NEEDS_DESCRIPTION = "📷 عکس رسید. حالا مشکل را بنویسید یا پیام صوتی بفرستید."
ASK_MEDIA = (
    "📷 اگر عکس یا فیلم کوتاه (تا ۱ دقیقه) از مشکل دارید بفرستید؛ حداکثر {max} مورد.\n"
    "اگر ندارید «ادامه» را بزنید."
)
MEDIA_RECEIVED = "رسید ({count} از {max}). مورد دیگری دارید بفرستید، وگرنه «ادامه» را بزنید."
VIDEO_TOO_LONG = "فیلم حداکثر ۱ دقیقه باشد. فیلم کوتاه‌تر یا عکس بفرستید."
MEDIA_WRONG_TYPE = "فقط عکس یا فیلم کوتاه بفرستید، یا «ادامه» را بزنید."
ASK_LOCATION = (
    "📍 مشکل کجاست؟\n"
    "• اگر همان‌جا هستید، «ارسال موقعیت» را بزنید؛\n"
    "• یا نشانی یا یک نشانه بنویسید (مثلاً «کوچهٔ ۱۲، روبه‌روی مسجد»)؛\n"
    "• یا «رد شدن»."
)
BUTTON_SEND_LOCATION = "📍 ارسال موقعیت"
ADDRESS_BAD_LENGTH = "نشانی باید بین {min} تا {max} حرف باشد."
LOCATION_WRONG_TYPE = "لطفاً موقعیت را با دکمه بفرستید، یا نشانی را بنویسید، یا «رد شدن» را بزنید."
REVIEW = (
    "🧾 <b>بازبینی گزارش</b>\n"
    "دسته: {emoji} {category}\n"
    "محله: {neighborhood}\n"
    "توضیح: {description}\n"
    "عکس و فیلم: {media}\n"
    "محل: {location}\n\n"
    "اگر درست است «ثبت نهایی» را بزنید."
)
VOICE_DESCRIPTION = "🎤 پیام صوتی"
MEDIA_COUNT = "{count} مورد"
LOCATION_PIN = "📍 موقعیت روی نقشه"
NOTHING = "ندارد"
BUTTON_CONFIRM = "✅ ثبت نهایی"
BUTTON_EDIT = "✏️ ویرایش"
BUTTON_CANCEL = "❌ انصراف"
BUTTON_SHARE = "👤 نام و شماره‌ام را دستگاه ببیند: {answer}"
ASK_EDIT_PART = "کدام بخش را ویرایش می‌کنید؟"
BUTTON_EDIT_CATEGORY = "دسته"
BUTTON_EDIT_DESCRIPTION = "توضیح"
BUTTON_EDIT_MEDIA = "عکس و فیلم"
BUTTON_EDIT_LOCATION = "محل"
DUPLICATE_FOUND = (
    "🔎 در دو هفتهٔ گذشته گزارش مشابهی در محلهٔ شما ثبت شده:\n"
    "{summary}\n\n"
    "اگر همان مشکل است، «من هم» را بزنید تا صدای شما هم به آن اضافه شود و از نتیجه‌اش باخبر شوید."
)
DUPLICATE_SUMMARY = "🎫 {code} · {emoji} {category}\n🕰 {date} · {status}\n👥 {supporters} نفر پیگیر"
BUTTON_ME_TOO = "🙋 من هم؛ همان مشکل است"
BUTTON_NEW_ANYWAY = "📝 نه، مشکل دیگری است"
JOINED = (
    "✅ به گزارش {code} پیوستید. حالا {count} نفر پیگیر این مشکل‌اند و "
    "شما هم از هر تغییرش باخبر می‌شوید."
)
ALREADY_FOLLOWING = "شما همین حالا پیگیر این گزارش هستید. 🙂"
SUBMITTED = (
    "✅ گزارش شما ثبت شد.\n"
    "کد پیگیری: <b>{code}</b>\n"
    "{next_step}\n"
    "هر تغییری پیش بیاید همین‌جا خبرتان می‌کنیم."
)
NEXT_AGENCY = "گزارش برای «{agency}» فرستاده می‌شود."
NEXT_REVIEW = "گزارش پس از بررسی دفتر تسهیل‌گری محله برای «{agency}» فرستاده می‌شود."
NEXT_QUEUED = "دفتر تسهیل‌گری محله گزارش را به دستگاه مسئول می‌رساند."
REPORT_NOT_SAVED = (
    "⚠️ گزارش شما هنوز ثبت و فرستاده <b>نشده</b> است؛ چیزی از آن پاک نشده است.\n"
    "لطفاً یک دقیقهٔ دیگر دوباره «{button}» را بزنید."
)
REPORT_CANCELLED = "گزارش لغو شد. ✋ هر وقت خواستید دوباره شروع کنید."
FLOW_INTERRUPTED = "کار نیمه‌تمام قبلی لغو شد. ✋ حالا دوباره دکمهٔ دلخواه را بزنید."
FLOW_EXPIRED = (
    "کار نیمه‌تمام قبلی‌تان چون مدت زیادی بی‌پاسخ ماند بسته شد. 🕰\n"
    "هر وقت خواستید از منوی پایین دوباره شروع کنید؛ "
    "اگر ثبت‌نامتان نیمه‌کاره مانده بود، /start را بزنید."
)

# ---------------------------------------------------------------- ticket card (agency chat)
CARD = (
    "🎫 <b>گزارش {code}</b>\n"
    "{emoji} {category}\n"
    "🏘 محله: {neighborhood}\n"
    "🕰 {time}\n"
    "👥 همراهان: {supporters}\n"
    "📌 وضعیت: {status}{actor}\n\n"
    "{body}"
)
CARD_ACTOR = " — {name}"
CARD_VOICE = "🎤 توضیح به‌صورت پیام صوتی (پیام بالای همین کارت)"
CARD_TEXT_HIDDEN = "(متن این گزارش به تشخیص تسهیل‌گر نمایش داده نمی‌شود)"
CARD_ADDRESS = "\n📍 نشانی: {address}"
CARD_CONTACT = "\n👤 گزارش‌دهنده: {name} — {phone}"
CARD_HINT = "\n\n↩️ برای پاسخ رسمی به ساکن، روی همین پیام «پاسخ» (Reply) بزنید."
MEDIA_CAPTION = "📷 گزارش {code}"
BUTTON_ACK = "👀 دریافت شد"
BUTTON_PROGRESS = "🔧 در حال انجام"
BUTTON_RESOLVED = "✅ حل شد"
BUTTON_NOT_OURS = "↪️ مربوط به ما نیست"
BUTTON_CANNED = "💬 پاسخ آماده"
NOT_OURS_REASONS = (
    "مربوط به دستگاه دیگری است",
    "خارج از محدودهٔ کاری ماست",
    "اطلاعات کافی نیست",
    "تکراری است",
)
NOT_ALLOWED = "شما اجازهٔ این کار را ندارید."
ACTION_STALE = "وضعیت این گزارش عوض شده است؛ کارت به‌روز شد."
DONE_SHORT = "انجام شد ✅"
REPLY_RELAYED = "✅ پاسخ برای ساکن فرستاده شد."
REPLY_NOT_OPEN = "این گزارش دیگر در دست شما نیست؛ پاسخ فرستاده نشد."
REPLY_KIND_NOT_RELAYED = (
    "این نوع پیام برای ساکن فرستاده نمی‌شود. متن، عکس، فیلم، پیام صوتی یا فایل را در پاسخ به "
    "همین کارت بفرستید."
)

# ---------------------------------------------------------------- notices to residents
STATUS_NOTICE = "🔔 گزارش {code} ({category})\nوضعیت تازه: <b>{status}</b>{by}{reason}"
NOTICE_BY = "\nاز طرف: {who}"
NOTICE_REASON = "\nتوضیح: {reason}"
OFFICE = "دفتر تسهیل‌گری محله"
OFFICIAL_REPLY = "💬 <b>پاسخ {who}</b> به گزارش {code}:\n{text}"
ASK_SOLVED = "\n\nآیا مشکل واقعاً حل شد؟"
BUTTON_SOLVED_YES = "👍 بله، حل شد"
BUTTON_SOLVED_NO = "👎 نه، هنوز هست"
ASK_RATING = "ممنون! 🙏 به رسیدگی چه امتیازی می‌دهید؟ (۱ یعنی خیلی بد، ۵ یعنی عالی)"
THANKS_RATING = "امتیاز شما ثبت شد. ممنون که پیگیر محله‌تان هستید. 🌷"
REOPENED_RESIDENT = "گزارش {code} دوباره باز شد و به دفتر تسهیل‌گری محله و «{agency}» خبر دادیم. 🔁"
ALREADY_ANSWERED = "پاسخ شما قبلاً ثبت شده است. 🙂"
REPLY_HINT = "\n\n↩️ برای افزودن توضیح، روی همین پیام «پاسخ» (Reply) بزنید."

# ---------------------------------------------------------------- notices to agencies, facilitators
REOPENED_AGENCY = "🔁 ساکن اعلام کرد مشکل گزارش {code} حل نشده؛ گزارش دوباره باز شد."
REOPENED_ALERT = (
    "🔁 ساکن می‌گوید مشکل گزارش {code} ({category}، {neighborhood}) حل نشده؛ "
    "گزارش دوباره باز شد و نزد «{agency}» است."
)
INFO_TO_HANDLER = "➕ <b>توضیح تازهٔ ساکن</b> برای گزارش {code}:\n{text}"
INFO_MEDIA = "(عکس یا پیام صوتی پیوست است)"
INFO_WITHHELD = (
    "\n\n<i>به دستگاه فرستاده نشد: این گزارش بخش پنهان دارد یا ساکن محدود شده است. "
    "اگر لازم است، خودتان به دستگاه برسانید.</i>"
)
INFO_TOO_MANY = (
    "برای این گزارش در یک ساعت گذشته {n} توضیح فرستاده‌اید و همه رسیده است. 🙏 "
    "لطفاً کمی بعد دوباره بفرستید."
)

# ---------------------------------------------------------------- facilitators' triage
TRIAGE_REVIEW = "🛂 <b>پیش از ارسال به «{agency}» بررسی کنید</b>\n\n"
TRIAGE_QUEUED = "📥 <b>در صف دفتر محله</b>: {reason}\n\n"
QUEUE_REASON_NO_CHAT = "«{agency}» هنوز گروهی در بات ندارد"
QUEUE_REASON_NOT_OURS = "«{agency}» اعلام کرد مربوط به آن نیست ({reason})"
QUEUE_REASON_OTHER = "منتظر ارجاع"
QUEUE_REASON_UNDELIVERED = "کارت گزارش به گروه «{agency}» نرسید: {cause}"
UNDELIVERED_CAUSE = {  # by bot.delivery.GiveUp
    "blocked": "بات از گروه بیرون گذاشته شده یا گروه بسته شده است",
    "gone": "گروه دیگر در دسترس بات نیست",
    "refused": "تلگرام آن را نپذیرفت",
    "expired": "چند روز تلاش برای فرستادنش نتیجه نداد",
}
UNDELIVERED_RESIDENT = "گزارش فعلاً به «{agency}» نرسید؛ دفتر تسهیل‌گری محله آن را پیگیری می‌کند."
BUTTON_APPROVE = "✅ تأیید و ارسال"
BUTTON_EDIT_TEXT = "✏️ ویرایش متن"
BUTTON_HIDE_TEXT = "🙈 پنهان کردن متن از دستگاه"
BUTTON_SHOW_TEXT = "👁 نمایش متن به دستگاه"
BUTTON_HIDE_MEDIA = "🙈 پنهان کردن عکس‌ها از دستگاه"
BUTTON_SHOW_MEDIA = "👁 نمایش عکس‌ها به دستگاه"
BUTTON_REJECT = "⛔ رد گزارش"
BUTTON_ASSIGN = "↪️ ارجاع به دستگاه"
BUTTON_CLOSE = "🗂 بستن گزارش"
BUTTON_MUTE = "🔇 بستن امکان گزارش برای این ساکن"
BUTTON_UNMUTE = "🔈 باز کردن امکان گزارش برای این ساکن"
CLOSE_REASONS = (
    "تکراری است",
    "خارج از حوزهٔ دفتر و دستگاه‌ها",
    "اطلاعات کافی نیست",
    "نامناسب یا توهین‌آمیز",
    "حل شده است",
)
ASK_CLOSE_REASON = "\n\n🗂 <b>دلیل بستن یا رد گزارش؟</b>"
ASK_AGENCY = "\n\n↪️ <b>به کدام دستگاه ارجاع شود؟</b>"
ASK_NEW_TEXT = (
    "متن تازهٔ گزارش {code} را بفرستید (مثلاً بدون نام افراد یا الفاظ نامناسب).\nبرای انصراف /cancel"
)
TEXT_EDITED = "متن گزارش {code} ویرایش شد. ✅"
RESIDENT_MUTED = "امکان گزارش برای این ساکن بسته شد. 🔇"
RESIDENT_UNMUTED = "امکان گزارش برای این ساکن باز شد. 🔈"
FACILITATOR_ONLY = "این بخش برای تسهیل‌گران دفتر محله است."
QUEUE_EMPTY = "صف دفتر خالی است. 🎉"
QUEUE_HEADER = "📥 <b>صف دفتر محله</b>: {count} مورد در این صفحه"
QUEUE_BUTTON = "{code} · {emoji} {category} · {status}"
TICKET_NOT_FOUND = "گزارشی با این کد پیدا نشد."
TICKET_USAGE = "شیوهٔ استفاده: <code>/ticket کد</code> (مثلاً <code>/ticket 482317</code>)"

# ---------------------------------------------------------------- deadlines (SLA)
SLA_STAGE = {"ack": "اعلام دریافت", "resolve": "رسیدگی"}
SLA_AGENCY = "⏰ <b>یادآوری</b>: مهلت {stage} گزارش {code} ({hours} ساعت) گذشته است."
SLA_FACILITATOR = (
    "⏰ مهلت {stage} گزارش {code} ({category}، {neighborhood}) در «{agency}» گذشته است."
)

# ---------------------------------------------------------------- my reports
MY_REPORTS_EMPTY = "هنوز گزارشی ندارید. با «📝 گزارش مشکل» شروع کنید."
MY_REPORTS_HEADER = (
    "📋 <b>گزارش‌های من</b> (صفحهٔ {page} از {pages})\nبرای دیدن جزئیات روی هر مورد بزنید."
)
MY_REPORT_BUTTON = "{code} · {emoji} {category} · {status}"
BUTTON_PREVIOUS = "▶️ قبلی"
BUTTON_NEXT = "بعدی ◀️"
TICKET_PAGE = (
    "🎫 <b>گزارش {code}</b>\n"
    "{emoji} {category} · {neighborhood}\n"
    "📌 وضعیت: <b>{status}</b>\n"
    "🕰 ثبت: {created}\n"
    "👥 پیگیران: {supporters}\n\n"
    "{description}\n\n"
    "<b>سابقه</b>\n{history}"
)
HISTORY_LINE = "• {time} — {what}"
EVENT_CREATED = "ثبت شد"
EVENT_STATUS = "وضعیت: {status}"
EVENT_REPLY = "پاسخ {who}: {body}"
EVENT_INFO = "توضیح تکمیلی: {body}"
EVENT_SUPPORTER = "یک نفر دیگر هم پیوست"
EVENT_REASSIGN = "ارجاع به «{agency}»"
EVENT_RATING = "امتیاز رسیدگی: {body} از ۵"
EVENT_EDITED = "متن به دست دفتر محله ویرایش شد"
BUTTON_ADD_INFO = "➕ افزودن توضیح یا عکس"
BUTTON_BACK_TO_LIST = "↩️ فهرست گزارش‌ها"
ASK_INFO = "توضیح تازه، عکس یا پیام صوتی را برای گزارش {code} بفرستید.\nبرای انصراف /cancel"
INFO_SENT = "✅ به گزارش {code} اضافه شد و برای رسیدگی‌کننده فرستاده شد."
INFO_CLOSED = "این گزارش بسته شده است؛ برای مشکل تازه یک گزارش جدید ثبت کنید."
NOT_YOUR_TICKET = "این گزارش در فهرست شما نیست."
SUPPORTER_DESCRIPTION = (
    "<i>شما از این گزارش پشتیبانی کرده‌اید. متن گزارش‌دهنده فقط برای خود او نمایش داده می‌شود؛ "
    "وضعیت و پاسخ‌های دستگاه را اینجا می‌بینید.</i>"
)

# ================================================================ announcements (broadcasts)
COMMAND_BROADCAST = "فرستادن اطلاعیه"
COMMAND_BROADCASTS = "اطلاعیه‌های اخیر"
BROADCAST_ONLY_STAFF = "فرستادن اطلاعیه برای تسهیل‌گران و مدیران است."
ASK_AUDIENCE = "📣 <b>اطلاعیهٔ تازه</b>\nبرای چه کسانی فرستاده شود؟ (یک یا چند گزینه، سپس «ادامه»)"
AUDIENCE_ALL = "همهٔ ساکنان"
AUDIENCE_AGENCIES = "گروه‌های دستگاه‌ها"
AUDIENCE_EMPTY = "دست‌کم یک گزینه را انتخاب کنید."
CHECKED = "✅ "
ASK_CONTENT = "متن اطلاعیه را بنویسید، یا یک عکس یا فایل با توضیح بفرستید.\nبرای انصراف /cancel"
CONTENT_TOO_LONG = "متن حداکثر {max} حرف می‌تواند باشد (الان {length} حرف است)."
CONTENT_WRONG_TYPE = "فقط متن، عکس یا فایل را می‌توان فرستاد."
ANNOUNCEMENT = "📣 <b>اطلاعیه</b>\n\n{text}"
PREVIEW_ABOVE = (
    "👆 پیش‌نمایش: ساکنان اطلاعیه را دقیقاً همین‌طور می‌بینند.\n"
    "گیرندگان: <b>{count}</b> نفر/گروه ({audience})"
)
BUTTON_SEND_NOW = "✅ ارسال الان"
BUTTON_SCHEDULE = "🕒 زمان‌بندی"
ASK_SCHEDULE = "تاریخ و ساعت ارسال را به تقویم شمسی بنویسید، مثلاً <code>{example}</code>"
SCHEDULE_INVALID = "این تاریخ را نفهمیدم. مثل <code>{example}</code> بنویسید."
SCHEDULE_PAST = "این زمان گذشته است؛ زمانی در آینده بنویسید."
CONFIRM_SCHEDULE = "اطلاعیه در {time} برای {count} گیرنده فرستاده شود؟"
BUTTON_CONFIRM_SCHEDULE = "✅ تأیید زمان‌بندی"
SCHEDULED = "🕒 اطلاعیه #{id} برای {time} زمان‌بندی شد."
NO_RECIPIENTS = "هیچ گیرنده‌ای با این انتخاب پیدا نشد؛ اطلاعیه فرستاده نشد."
BROADCAST_CANCELLED_DRAFT = "اطلاعیه فرستاده نشد. ✋"
PROGRESS = (
    "📣 <b>اطلاعیه #{id}</b> در حال ارسال\n"
    "✅ فرستاده: {sent} از {total}\n"
    "⏳ مانده: {left}\n"
    "🚫 بات را بسته‌اند: {blocked}\n"
    "⚠️ ناموفق: {failed}\n"
    "⏱ زمان تقریبی تا پایان: {eta}"
)
PROGRESS_DONE = (
    "📣 <b>اطلاعیه #{id}</b> {outcome}\n"
    "✅ فرستاده: {sent} از {total}\n"
    "🚫 بات را بسته‌اند: {blocked}\n"
    "⚠️ ناموفق: {failed}\n"
    "✋ فرستاده‌نشده (لغو): {cancelled}"
)
OUTCOME_DONE = "تمام شد"
OUTCOME_CANCELLED = "متوقف شد"
ETA_SECONDS = "{n} ثانیه"
ETA_MINUTES = "{n} دقیقه"
BUTTON_STOP = "⏹ توقف ارسال"
STOPPED = "ارسال متوقف شد ✋"
BROADCASTS_EMPTY = "هنوز اطلاعیه‌ای فرستاده نشده است."
BROADCASTS_HEADER = "📣 <b>اطلاعیه‌های اخیر</b>"
BROADCAST_LINE = (
    "#{id} · {date} · {audience}\n   {state} · ✅ {sent} از {total} · 🚫 {blocked} · ⚠️ {failed}"
)
BROADCAST_STATE = {
    "scheduled": "🕒 زمان‌بندی‌شده",
    "sending": "📤 در حال ارسال",
    "done": "✔️ تمام‌شده",
    "cancelled": "✋ متوقف‌شده",
}
BUTTON_ANNOUNCEMENTS = "📣 اطلاعیه‌ها: {state}"
ANNOUNCEMENTS_ON = "روشن"
ANNOUNCEMENTS_OFF = "خاموش"
SETTINGS_ANNOUNCEMENTS = "\nاطلاعیه‌ها: {state}"
