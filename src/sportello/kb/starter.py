"""Starter articles (KB-4), written from what providers answer most often (seeds 000, 003),
in Italian, English and Spanish. The demo loads them; a provider can edit or withdraw them."""

from datetime import datetime
from typing import Any

from django.db import transaction

from .models import Article, ArticleTranslation, Category, NewsItem, NewsTranslation

CATEGORIES = [
    # slug, position, it, en, es
    ("email", 1, "Posta elettronica", "Email", "Correo electrónico"),
    ("security", 2, "Sicurezza e certificati", "Security and certificates",
     "Seguridad y certificados"),
    ("support", 3, "Assistenza", "Getting help", "Asistencia"),
]  # fmt: skip

# slug: category, position, related slugs, audience (public when missing), and the title and
# text per language code.
ARTICLES: dict[str, dict[str, Any]] = {
    "mail-client-settings": {
        "category": "email",
        "position": 1,
        "related": ["report-an-email-problem", "message-bounced"],
        "it": (
            "Configurare la posta sul tuo programma (IMAP e SMTP)",
            """La posta funziona con server **IMAP**: i messaggi restano sul server e li vedi
uguali dal computer, dal telefono e dalla webmail.

Per configurare un programma di posta (Outlook, Thunderbird, Mail, …) usa questi parametri:

| | Server | Porta | Protezione |
|---|---|---|---|
| Posta in entrata | `imap.tuodominio.it` | 143 | STARTTLS |
| Posta in uscita | `smtp.tuodominio.it` | 587 | STARTTLS |

- Nome utente: il tuo indirizzo e-mail completo (es. `mario@tuodominio.it`).
- Password: quella della casella.
- Il server in uscita richiede l'autenticazione: attiva "il server SMTP richiede
  l'autenticazione" con gli stessi dati della posta in entrata.

Se la posta non arriva o non parte, prova prima dalla webmail: se lì funziona, il problema
è nella configurazione del programma. Se hai ancora problemi, apri un ticket indicando la
casella e il messaggio d'errore esatto.""",
        ),
        "en": (
            "Setting up your mail program (IMAP and SMTP)",
            """Mail runs on **IMAP** servers: messages stay on the server, so you see the same
mailbox from your computer, your phone and webmail.

To set up a mail program (Outlook, Thunderbird, Mail, …) use these settings:

| | Server | Port | Security |
|---|---|---|---|
| Incoming mail | `imap.yourdomain.com` | 143 | STARTTLS |
| Outgoing mail | `smtp.yourdomain.com` | 587 | STARTTLS |

- User name: your full email address (e.g. `jane@yourdomain.com`).
- Password: the mailbox password.
- The outgoing server needs authentication: turn on "my SMTP server requires
  authentication" with the same details as incoming mail.

If mail does not arrive or does not leave, try webmail first: if it works there, the problem
is in the program's settings. If you are still stuck, open a ticket with the mailbox and the
exact error message.""",
        ),
        "es": (
            "Configurar el correo en su programa (IMAP y SMTP)",
            """El correo funciona con servidores **IMAP**: los mensajes permanecen en el servidor
y usted ve el mismo buzón desde el ordenador, el teléfono y el webmail.

Para configurar un programa de correo (Outlook, Thunderbird, Mail, …) use estos datos:

| | Servidor | Puerto | Seguridad |
|---|---|---|---|
| Correo entrante | `imap.sudominio.com` | 143 | STARTTLS |
| Correo saliente | `smtp.sudominio.com` | 587 | STARTTLS |

- Usuario: su dirección de correo completa (p. ej. `lucia@sudominio.com`).
- Contraseña: la del buzón.
- El servidor saliente requiere autenticación: active "mi servidor SMTP requiere
  autenticación" con los mismos datos del correo entrante.

Si el correo no llega o no sale, pruebe primero desde el webmail: si allí funciona, el
problema está en la configuración del programa. Si sigue teniendo problemas, abra un ticket
indicando el buzón y el mensaje de error exacto.""",
        ),
    },
    "message-bounced": {
        "category": "email",
        "position": 2,
        "related": ["blacklists", "report-an-email-problem"],
        "it": (
            'Perché un messaggio è tornato indietro ("mailbox full", indirizzo errato)',
            """Hai inviato un messaggio e hai ricevuto una mail di errore? Le cause più comuni:

- **La casella del destinatario è piena**: l'errore contiene le parole *mailbox full*.
  Il destinatario deve liberare spazio; riprova più tardi.
- **L'allegato è troppo grande** per la casella del destinatario: anche in questo caso
  l'errore dice *mailbox full*. Invia un allegato più piccolo o un link per scaricarlo.
- **L'indirizzo è sbagliato o non esiste**: controlla di averlo scritto bene
  (punti, trattini, dominio).
- **Il tuo indirizzo è in una blacklist**: l'errore contiene *blocked* o *blacklist*.
  Leggi l'articolo sulle blacklist.

Se usi un programma di posta (Outlook, Mail, …), verifica anche che i parametri siano
corretti: a volte il messaggio non parte affatto.""",
        ),
        "en": (
            'Why a message bounced ("mailbox full", wrong address)',
            """You sent a message and got an error mail back? The most common causes:

- **The recipient's mailbox is full**: the error contains the words *mailbox full*.
  The recipient has to free some space; try again later.
- **The attachment is too large** for the recipient's mailbox: the error says
  *mailbox full* here too. Send a smaller attachment or a download link.
- **The address is wrong or does not exist**: check the spelling (dots, dashes, domain).
- **Your address is on a blacklist**: the error contains *blocked* or *blacklist*.
  Read the article about blacklists.

If you use a mail program (Outlook, Mail, …), also check that its settings are right:
sometimes the message never leaves.""",
        ),
        "es": (
            'Por qué un mensaje ha sido devuelto ("mailbox full", dirección errónea)',
            """¿Ha enviado un mensaje y ha recibido un correo de error? Las causas más comunes:

- **El buzón del destinatario está lleno**: el error contiene las palabras *mailbox full*.
  El destinatario debe liberar espacio; vuelva a intentarlo más tarde.
- **El adjunto es demasiado grande** para el buzón del destinatario: también en este caso
  el error dice *mailbox full*. Envíe un adjunto más pequeño o un enlace de descarga.
- **La dirección es errónea o no existe**: compruebe que esté bien escrita
  (puntos, guiones, dominio).
- **Su dirección está en una lista negra**: el error contiene *blocked* o *blacklist*.
  Lea el artículo sobre las listas negras.

Si usa un programa de correo (Outlook, Mail, …), compruebe también que la configuración sea
correcta: a veces el mensaje ni siquiera sale.""",
        ),
    },
    "blacklists": {
        "category": "email",
        "position": 3,
        "related": ["message-bounced"],
        "it": (
            "Blacklist: cosa sono e come controllarle",
            """Una **blacklist** è un elenco di indirizzi e server considerati fonte di spam.
Molti server di posta rifiutano i messaggi che arrivano da chi è in elenco.

**Come capire se sei in blacklist**: hai inviato un messaggio, il destinatario non l'ha
ricevuto e ti è tornata una mail di errore che contiene parole come *blocked* o *blacklist*.

**Come controllare**: inserisci il tuo dominio o l'indirizzo IP del server su
[mxtoolbox.com](https://mxtoolbox.com/blacklists.aspx): il sito interroga le blacklist più
diffuse e ti dice in quali compari.

Anche se non hai mai inviato spam puoi finire in una blacklist, per esempio se un computer
della tua rete è infetto o se qualcuno ha rubato la password di una casella. In questi casi
cambia subito le password e apri un ticket: ti aiutiamo a chiedere la rimozione.""",
        ),
        "en": (
            "Blacklists: what they are and how to check them",
            """A **blacklist** is a list of addresses and servers considered sources of spam.
Many mail servers refuse messages coming from anyone on the list.

**How to tell you are blacklisted**: you sent a message, the recipient did not get it and
an error mail came back containing words such as *blocked* or *blacklist*.

**How to check**: enter your domain or your server's IP address on
[mxtoolbox.com](https://mxtoolbox.com/blacklists.aspx): it queries the most common
blacklists and tells you which ones list you.

You can end up on a blacklist even if you never sent spam, for example when a computer on
your network is infected or someone stole a mailbox password. Change your passwords at once
and open a ticket: we help you ask for removal.""",
        ),
        "es": (
            "Listas negras (blacklist): qué son y cómo comprobarlas",
            """Una **lista negra** (blacklist) es una lista de direcciones y servidores
considerados fuente de spam. Muchos servidores de correo rechazan los mensajes de quien
figura en ella.

**Cómo saber si está en una lista negra**: ha enviado un mensaje, el destinatario no lo ha
recibido y le ha llegado un correo de error con palabras como *blocked* o *blacklist*.

**Cómo comprobarlo**: introduzca su dominio o la dirección IP del servidor en
[mxtoolbox.com](https://mxtoolbox.com/blacklists.aspx): el sitio consulta las listas negras
más comunes y le indica en cuáles aparece.

Puede acabar en una lista negra aunque nunca haya enviado spam, por ejemplo si un ordenador
de su red está infectado o si alguien ha robado la contraseña de un buzón. Cambie enseguida
las contraseñas y abra un ticket: le ayudamos a solicitar la eliminación.""",
        ),
    },
    "safe-password": {
        "category": "security",
        "position": 1,
        "related": ["blacklists"],
        "it": (
            "Scegliere una password sicura",
            """La password è la chiave della tua posta e delle tue comunicazioni di lavoro.

- **Cambiala appena la casella viene attivata**, e ogni volta che pensi che qualcuno possa
  conoscerla.
- **Non usare** il tuo nome, la data di nascita, l'indirizzo o altro che chi ti conosce
  potrebbe indovinare.
- **Usala lunga e varia**: almeno 12 caratteri con lettere maiuscole e minuscole, numeri e
  caratteri speciali come `& $ ! ? ; : - _ #`.
- **Una password per ogni servizio**: se ne rubano una, le altre restano al sicuro.
  Un gestore di password ti aiuta a ricordarle.

Puoi cambiare la password della posta dalla webmail. Sui nostri server di posta antivirus e
antispam sono attivi fin dalla prima configurazione.""",
        ),
        "en": (
            "Choosing a safe password",
            """Your password is the key to your mail and your business correspondence.

- **Change it as soon as the mailbox is activated**, and whenever you think someone may
  know it.
- **Do not use** your name, your date of birth, your address or anything people who know
  you could guess.
- **Make it long and varied**: at least 12 characters with upper and lower case letters,
  digits and special characters such as `& $ ! ? ; : - _ #`.
- **One password per service**: if one is stolen, the others stay safe. A password manager
  helps you remember them.

You can change your mail password from webmail. Our mail servers run antivirus and
antispam from the very first setup.""",
        ),
        "es": (
            "Elegir una contraseña segura",
            """La contraseña es la llave de su correo y de sus comunicaciones de trabajo.

- **Cámbiela en cuanto se active el buzón**, y cada vez que piense que alguien podría
  conocerla.
- **No use** su nombre, su fecha de nacimiento, su dirección ni nada que quien le conozca
  pueda adivinar.
- **Que sea larga y variada**: al menos 12 caracteres con mayúsculas y minúsculas, números
  y caracteres especiales como `& $ ! ? ; : - _ #`.
- **Una contraseña para cada servicio**: si le roban una, las demás siguen a salvo. Un
  gestor de contraseñas le ayuda a recordarlas.

Puede cambiar la contraseña del correo desde el webmail. En nuestros servidores de correo el
antivirus y el antispam están activos desde la primera configuración.""",
        ),
    },
    "ssl-certificate": {
        "category": "security",
        "position": 2,
        "related": ["missing-padlock"],
        "it": (
            "Cos'è un certificato SSL",
            """Un **certificato SSL** permette al tuo sito di usare `https`: le informazioni
scambiate tra il browser del visitatore e il server viaggiano cifrate, e nessuno lungo il
percorso può leggerle o modificarle.

Il certificato è rilasciato da un'autorità di certificazione, che verifica che il dominio
sia tuo, e va installato sul sito. Il browser lo controlla e mostra il lucchetto accanto
all'indirizzo.

- Con i nostri pacchetti web installiamo e configuriamo noi il certificato alla
  pubblicazione del sito.
- Se il sito è già online (con noi o con un altro fornitore) e vuoi attivare il
  certificato, apri un ticket indicando il sito e il fornitore attuale: per installarlo
  serve poter gestire i name server (NS) del dominio.""",
        ),
        "en": (
            "What an SSL certificate is",
            """An **SSL certificate** lets your site use `https`: what the visitor's browser and
the server exchange travels encrypted, and nobody along the way can read or change it.

The certificate is issued by a certificate authority, which checks that the domain is
yours, and is installed on the site. The browser checks it and shows the padlock next to
the address.

- With our web packages we install and configure the certificate ourselves when the site
  is published.
- If the site is already online (with us or another provider) and you want a certificate,
  open a ticket with the site and the current provider: installing it requires control of
  the domain's name servers (NS).""",
        ),
        "es": (
            "Qué es un certificado SSL",
            """Un **certificado SSL** permite que su sitio use `https`: la información que
intercambian el navegador del visitante y el servidor viaja cifrada, y nadie en el camino
puede leerla ni modificarla.

El certificado lo emite una autoridad de certificación, que verifica que el dominio es suyo,
y se instala en el sitio. El navegador lo comprueba y muestra el candado junto a la
dirección.

- Con nuestros paquetes web instalamos y configuramos nosotros el certificado al publicar
  el sitio.
- Si el sitio ya está en línea (con nosotros o con otro proveedor) y desea activar el
  certificado, abra un ticket indicando el sitio y el proveedor actual: para instalarlo es
  necesario poder gestionar los servidores de nombres (NS) del dominio.""",
        ),
    },
    "missing-padlock": {
        "category": "security",
        "position": 3,
        "related": ["ssl-certificate"],
        "it": (
            "Ho il certificato SSL ma il lucchetto non compare",
            """Hai installato il certificato ma il browser non mostra il sito come "sicuro"?
Le cause più frequenti:

1. **Contenuti misti (http dentro https)**: la pagina è in `https`, ma immagini, script o
   fogli di stile sono caricati con indirizzi `http://`. Il browser allora non considera
   sicura la pagina. Cerca nel sito (tema, articoli, impostazioni del CMS) gli indirizzi
   che iniziano con `http://` e cambiali in `https://`.
2. **Certificato configurato male** nel pannello di controllo: ricontrolla i passaggi
   indicati dal fornitore.
3. **Certificato "autoinstallante"**: non basta spuntare "installa certificato". Tutti gli
   indirizzi del sito devono passare a `https`, anche quelli caricati in background.

Se hai provato e il lucchetto ancora manca, apri un ticket con l'indirizzo della pagina:
possiamo verificare noi quali contenuti restano in `http`.""",
        ),
        "en": (
            "I have an SSL certificate but the padlock is missing",
            """You installed the certificate but the browser does not show the site as
"secure"? The most common causes:

1. **Mixed content (http inside https)**: the page is on `https`, but images, scripts or
   stylesheets load from `http://` addresses, so the browser does not consider the page
   secure. Look through the site (theme, posts, CMS settings) for addresses starting with
   `http://` and change them to `https://`.
2. **A badly configured certificate** in the control panel: check the provider's steps
   again.
3. **"Self-installing" certificates**: ticking "install certificate" is not enough. Every
   address of the site must move to `https`, including those loaded in the background.

If the padlock is still missing, open a ticket with the page's address: we can check which
content is still served over `http`.""",
        ),
        "es": (
            "Tengo el certificado SSL pero no aparece el candado",
            """¿Ha instalado el certificado pero el navegador no muestra el sitio como
"seguro"? Las causas más frecuentes:

1. **Contenido mixto (http dentro de https)**: la página está en `https`, pero imágenes,
   scripts u hojas de estilo se cargan con direcciones `http://`, y el navegador no
   considera segura la página. Busque en el sitio (tema, artículos, ajustes del CMS) las
   direcciones que empiezan por `http://` y cámbielas por `https://`.
2. **Certificado mal configurado** en el panel de control: revise los pasos indicados por
   el proveedor.
3. **Certificado "autoinstalable"**: no basta con marcar "instalar certificado". Todas las
   direcciones del sitio deben pasar a `https`, también las que se cargan en segundo plano.

Si el candado sigue sin aparecer, abra un ticket con la dirección de la página: podemos
comprobar qué contenidos siguen en `http`.""",
        ),
    },
    "write-a-good-ticket": {
        "category": "support",
        "position": 1,
        "audience": Article.Audience.CLIENTS,
        "related": ["report-an-email-problem"],
        "it": (
            "Come scrivere un buon ticket",
            """Un ticket scritto bene viene risolto prima, spesso già alla prima risposta.

- **Prima cerca qui**: quasi la metà delle richieste ha già una risposta in questa guida.
- **Scegli il reparto giusto**: Assistenza tecnica per i problemi tecnici, Commerciale per
  informazioni commerciali e amministrative.
- **Indica il servizio o il dominio** a cui si riferisce la richiesta.
- **Scrivi un oggetto preciso**: evita "richiesta assistenza" o "aiuto!"; scrivi per
  esempio "La posta di info@tuodominio.it non riceve da ieri".
- **Descrivi il problema nel dettaglio**: quando succede, cosa hai già provato, il testo
  esatto dei messaggi d'errore. Ogni informazione, anche se ti sembra inutile, aiuta.
- **Un problema per ticket**: per richieste diverse, o su servizi diversi, apri ticket
  separati, così ognuno arriva subito al tecnico giusto.
- **Non aprire più ticket per lo stesso problema**: rispondi sempre nello stesso ticket,
  che resta lo storico di tutto quello che è successo.""",
        ),
        "en": (
            "How to write a good ticket",
            """A well-written ticket is solved sooner, often with the first answer.

- **Search here first**: almost half of all requests already have an answer in this guide.
- **Pick the right department**: Technical support for technical problems, Sales for
  commercial and administrative questions.
- **Name the service or the domain** the request is about.
- **Write a precise subject**: avoid "support request" or "help!"; write for example
  "info@yourdomain.com has not received mail since yesterday".
- **Describe the problem in detail**: when it happens, what you already tried, the exact
  text of any error message. Every detail, even one that seems useless, helps.
- **One problem per ticket**: for different requests, or different services, open separate
  tickets, so each one reaches the right technician at once.
- **Do not open several tickets for the same problem**: always answer in the same ticket,
  which keeps the history of everything that happened.""",
        ),
        "es": (
            "Cómo escribir un buen ticket",
            """Un ticket bien escrito se resuelve antes, a menudo ya con la primera respuesta.

- **Busque aquí primero**: casi la mitad de las solicitudes ya tiene respuesta en esta guía.
- **Elija el departamento correcto**: Asistencia técnica para problemas técnicos,
  Comercial para consultas comerciales y administrativas.
- **Indique el servicio o el dominio** al que se refiere la solicitud.
- **Escriba un asunto preciso**: evite "solicitud de asistencia" o "¡ayuda!"; escriba por
  ejemplo "info@sudominio.com no recibe correo desde ayer".
- **Describa el problema con detalle**: cuándo ocurre, qué ha probado ya, el texto exacto de
  los mensajes de error. Cada dato, aunque le parezca inútil, ayuda.
- **Un problema por ticket**: para solicitudes distintas, o sobre servicios distintos, abra
  tickets separados, así cada uno llega enseguida al técnico adecuado.
- **No abra varios tickets para el mismo problema**: responda siempre en el mismo ticket,
  que conserva el historial de todo lo ocurrido.""",
        ),
    },
    "report-an-email-problem": {
        "category": "support",
        "position": 2,
        "related": ["mail-client-settings", "message-bounced"],
        "it": (
            "Come segnalare un problema con la posta",
            """"La posta non funziona" non ci permette di trovare il problema. Prima di aprire
il ticket, due verifiche:

1. **Il problema è in ricezione o in invio?** Se la posta non parte, controlla che il tuo
   programma usi il nostro server SMTP (porta 587, STARTTLS). Se usi il server SMTP di un
   altro fornitore (per esempio quello della tua connessione), rivolgiti a lui.
2. **Succede dal programma di posta o anche dalla webmail?** Se dalla webmail funziona,
   è quasi sempre la configurazione del programma: ricontrollala o prova un altro programma.

Poi apri un ticket e indica:

- la casella (o le caselle) con il problema;
- il tipo di errore o di problema;
- se succede in invio o in ricezione;
- se solo da o verso certi indirizzi;
- se succede dal programma, dalla webmail o da entrambi;
- il testo esatto dei messaggi d'errore;
- qualche messaggio che ha dato errore: mittente, destinatario, oggetto, data e ora.

Con questi dati possiamo verificare subito, senza doverti richiedere informazioni.""",
        ),
        "en": (
            "How to report an email problem",
            """"Email does not work" does not let us find the problem. Before opening the
ticket, two checks:

1. **Is the problem receiving or sending?** If mail does not leave, check that your program
   uses our SMTP server (port 587, STARTTLS). If it uses another provider's SMTP server
   (for example your internet provider's), ask them.
2. **Does it happen in your mail program or in webmail too?** If webmail works, it is
   almost always the program's settings: check them again or try another program.

Then open a ticket and tell us:

- the mailbox (or mailboxes) with the problem;
- the kind of error or problem;
- whether it happens when sending or receiving;
- whether only from or to some addresses;
- whether it happens in the program, in webmail or both;
- the exact text of any error message;
- a few messages that failed: sender, recipient, subject, date and time.

With these details we can check at once, without having to ask you again.""",
        ),
        "es": (
            "Cómo comunicar un problema con el correo",
            """"El correo no funciona" no nos permite encontrar el problema. Antes de abrir el
ticket, dos comprobaciones:

1. **¿El problema es al recibir o al enviar?** Si el correo no sale, compruebe que su
   programa use nuestro servidor SMTP (puerto 587, STARTTLS). Si usa el servidor SMTP de
   otro proveedor (por ejemplo el de su conexión), diríjase a él.
2. **¿Ocurre en el programa de correo o también en el webmail?** Si en el webmail funciona,
   casi siempre es la configuración del programa: revísela o pruebe otro programa.

Después abra un ticket e indique:

- el buzón (o los buzones) con el problema;
- el tipo de error o de problema;
- si ocurre al enviar o al recibir;
- si solo desde o hacia ciertas direcciones;
- si ocurre en el programa, en el webmail o en ambos;
- el texto exacto de los mensajes de error;
- algunos mensajes que dieron error: remitente, destinatario, asunto, fecha y hora.

Con estos datos podemos comprobarlo enseguida, sin tener que volver a pedirle información.""",
        ),
    },
}

WELCOME_NEWS = {
    "it": (
        "Nuova area clienti e guida online",
        "Da oggi trovi nell'area clienti i tuoi servizi, le fatture e una **guida** con le "
        "risposte alle domande più comuni. Prima di aprire un ticket, cerca lì: spesso la "
        "soluzione è già scritta.",
    ),
    "en": (
        "New client area and online guide",
        "From today your client area shows your services, your invoices and a **guide** with "
        "answers to the most common questions. Before opening a ticket, search there: the "
        "solution is often already written.",
    ),
    "es": (
        "Nueva área de clientes y guía en línea",
        "Desde hoy encontrará en el área de clientes sus servicios, sus facturas y una "
        "**guía** con las respuestas a las preguntas más comunes. Antes de abrir un ticket, "
        "busque allí: a menudo la solución ya está escrita.",
    ),
}


LANGUAGES = ("it", "en", "es")


@transaction.atomic
def seed_knowledge_base(now: datetime, languages: tuple[str, ...] = LANGUAGES) -> dict[str, int]:
    """Categories, the starter articles (published in `languages`) and a welcome news item.
    Keyed by slug and language: running it again adds only what is missing (a language
    asked for later) and never changes what is there."""
    categories = {}
    for slug, position, name_it, name_en, name_es in CATEGORIES:
        categories[slug] = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "position": position,
                "name": name_it,
                "name_en": name_en,
                "name_es": name_es,
            },  # fmt: skip
        )[0]
    articles: dict[str, tuple[Article, bool, dict[str, Any]]] = {}
    made = {"articles": 0, "translations": 0}
    for slug, spec in ARTICLES.items():
        article, created = Article.objects.get_or_create(
            slug=slug,
            defaults={
                "category": categories[spec["category"]],
                "position": spec["position"],
                "audience": spec.get("audience", Article.Audience.PUBLIC),
            },
        )
        articles[slug] = (article, created, spec)
        made["articles"] += created
        present = set(article.translations.values_list("language", flat=True))
        for language in languages:
            if language in present:
                continue
            title, body = spec[language]
            ArticleTranslation.objects.create(
                article=article,
                language=language,
                title=title,
                body=body,
                status=ArticleTranslation.Status.PUBLISHED,
                published_at=now,
            )
            made["translations"] += 1
    for article, created, spec in articles.values():
        if created:
            article.related.set([articles[other][0] for other in spec["related"]])
    if not NewsItem.objects.exists():
        news = NewsItem.objects.create(publish_at=now)
        for language in languages:
            title, body = WELCOME_NEWS[language]
            NewsTranslation.objects.create(news=news, language=language, title=title, body=body)
    return made
